package org.lance4j.io;

/** A model or basis file that cannot be used; the message names the file and what to do. */
public class FileFormatException extends RuntimeException {
    public FileFormatException(String message) {
        super(message);
    }
}
