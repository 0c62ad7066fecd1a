package io.sidstream.model.tokens;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The parts of a SentencePiece {@code .model} file (a serialized {@code ModelProto}) that encoding
 * needs: every piece with its score and type, and the model type. Read with a small protobuf
 * reader: field 1 repeated pieces {piece = 1 (string), score = 2 (float), type = 3 (enum)}, field 2
 * trainer spec {model_type = 3 (enum: 1 unigram, 2 BPE)}.
 *
 * @param pieces in id order
 */
public record SentencePieceModel(List<Piece> pieces, Kind kind) {
    /** Encoding algorithm of the model. */
    public enum Kind {
        UNIGRAM,
        BPE
    }

    /** Piece types of {@code sentencepiece_model.proto}. */
    public enum Type {
        NORMAL,
        UNKNOWN,
        CONTROL,
        USER_DEFINED,
        UNUSED,
        BYTE
    }

    /** One vocabulary entry. */
    public record Piece(String text, float score, Type type) {}

    public SentencePieceModel {
        pieces = List.copyOf(pieces);
    }

    /** Parses a {@code .model} file's bytes. */
    public static SentencePieceModel parse(byte[] bytes) {
        Reader r = new Reader(bytes, 0, bytes.length);
        List<Piece> pieces = new ArrayList<>();
        Kind kind = Kind.UNIGRAM;
        while (r.more()) {
            long tag = r.varint();
            int field = (int) (tag >>> 3);
            int wire = (int) (tag & 7);
            if (field == 1 && wire == 2) {
                pieces.add(piece(r.embedded()));
            } else if (field == 2 && wire == 2) {
                kind = kind(r.embedded());
            } else if (field == 3 && wire == 2) {
                requireNoDummyPrefix(r.embedded());
            } else {
                r.skip(wire);
            }
        }
        if (pieces.isEmpty()) {
            throw new IllegalArgumentException("not a SentencePiece model: no pieces");
        }
        return new SentencePieceModel(pieces, kind);
    }

    private static Piece piece(Reader r) {
        String text = "";
        float score = 0;
        Type type = Type.NORMAL;
        while (r.more()) {
            long tag = r.varint();
            int field = (int) (tag >>> 3);
            int wire = (int) (tag & 7);
            if (field == 1 && wire == 2) {
                text = r.string();
            } else if (field == 2 && wire == 5) {
                score = r.float32();
            } else if (field == 3 && wire == 0) {
                int t = (int) r.varint();
                type =
                        switch (t) {
                            case 2 -> Type.UNKNOWN;
                            case 3 -> Type.CONTROL;
                            case 4 -> Type.USER_DEFINED;
                            case 5 -> Type.UNUSED;
                            case 6 -> Type.BYTE;
                            default -> Type.NORMAL;
                        };
            } else {
                r.skip(wire);
            }
        }
        return new Piece(text, score, type);
    }

    /** SIDs are one "word" each: a model that prepends a whitespace piece would shift them. */
    private static void requireNoDummyPrefix(Reader r) {
        boolean dummyPrefix = true; // the proto's default
        while (r.more()) {
            long tag = r.varint();
            int field = (int) (tag >>> 3);
            int wire = (int) (tag & 7);
            if (field == 3 && wire == 0) {
                dummyPrefix = r.varint() != 0;
            } else {
                r.skip(wire);
            }
        }
        if (dummyPrefix) {
            throw new IllegalArgumentException(
                    "SentencePiece model adds a dummy prefix; SID tokenizers are trained with"
                            + " add_dummy_prefix=false");
        }
    }

    private static Kind kind(Reader r) {
        Kind kind = Kind.UNIGRAM;
        while (r.more()) {
            long tag = r.varint();
            int field = (int) (tag >>> 3);
            int wire = (int) (tag & 7);
            if (field == 35 && wire == 0 && r.varint() != 0) {
                throw new IllegalArgumentException(
                        "SentencePiece models with byte_fallback are not supported for SIDs");
            } else if (field == 3 && wire == 0) {
                long t = r.varint();
                if (t == 2) {
                    kind = Kind.BPE;
                } else if (t != 1) {
                    throw new IllegalArgumentException(
                            "SentencePiece model type " + t + " (word/char) is not supported");
                }
            } else {
                r.skip(wire);
            }
        }
        return kind;
    }

    /** A protobuf reader over one message's bytes. */
    private static final class Reader {
        private final byte[] bytes;
        private int pos;
        private final int end;

        Reader(byte[] bytes, int from, int end) {
            this.bytes = bytes;
            this.pos = from;
            this.end = end;
        }

        boolean more() {
            return pos < end;
        }

        long varint() {
            long value = 0;
            for (int shift = 0; shift < 64; shift += 7) {
                if (pos >= end) {
                    throw new IllegalArgumentException("truncated SentencePiece model");
                }
                byte b = bytes[pos++];
                value |= (long) (b & 0x7f) << shift;
                if (b >= 0) {
                    return value;
                }
            }
            throw new IllegalArgumentException("malformed varint in SentencePiece model");
        }

        int length() {
            long n = varint();
            if (n < 0 || n > end - pos) {
                throw new IllegalArgumentException("truncated SentencePiece model");
            }
            return (int) n;
        }

        Reader embedded() {
            int n = length();
            Reader inner = new Reader(bytes, pos, pos + n);
            pos += n;
            return inner;
        }

        String string() {
            int n = length();
            String s = new String(bytes, pos, n, StandardCharsets.UTF_8);
            pos += n;
            return s;
        }

        float float32() {
            if (end - pos < 4) {
                throw new IllegalArgumentException("truncated SentencePiece model");
            }
            float f = ByteBuffer.wrap(bytes, pos, 4).order(ByteOrder.LITTLE_ENDIAN).getFloat();
            pos += 4;
            return f;
        }

        void skip(int wire) {
            switch (wire) {
                case 0 -> varint();
                case 1 -> advance(8);
                case 2 -> advance(length());
                case 5 -> advance(4);
                default ->
                        throw new IllegalArgumentException(
                                "unsupported protobuf wire type "
                                        + wire
                                        + " in SentencePiece model");
            }
        }

        private void advance(int n) {
            if (n > end - pos) {
                throw new IllegalArgumentException("truncated SentencePiece model");
            }
            pos += n;
        }
    }
}
