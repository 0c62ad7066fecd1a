package io.sidstream.platform.settings;

/** A configuration key declared once: environment-style name, default and doc. */
public interface Setting {
    String key();

    String defaultValue();

    String doc();
}
