package io.sidstream.datasets;

/** A line of a catalog or interactions file that cannot be read; names the file and line. */
public final class DatasetFormatException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    DatasetFormatException(String source, long lineNumber, String problem) {
        super(source + ":" + lineNumber + ": " + problem);
    }
}
