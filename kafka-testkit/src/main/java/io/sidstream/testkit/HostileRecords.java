package io.sidstream.testkit;

import java.io.ByteArrayOutputStream;

/** Hostile records for the decoder, topology and service tests. */
public final class HostileRecords {
    private HostileRecords() {}

    /**
     * The 32-byte record of the report: the header of a valid record, then a first string whose
     * length varint claims 2^31 - 9 bytes, then padding.
     */
    public static byte[] stringLengthBomb(byte[] validRecord) {
        ByteArrayOutputStream bomb = new ByteArrayOutputStream();
        bomb.write(validRecord, 0, 10);
        long claim = (long) (Integer.MAX_VALUE - 8) << 1;
        while ((claim & ~0x7FL) != 0) {
            bomb.write((int) ((claim & 0x7F) | 0x80));
            claim >>>= 7;
        }
        bomb.write((int) claim);
        while (bomb.size() < 32) {
            bomb.write('A');
        }
        return bomb.toByteArray();
    }
}
