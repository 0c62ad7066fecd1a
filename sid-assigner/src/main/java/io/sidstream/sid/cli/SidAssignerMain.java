package io.sidstream.sid.cli;

import java.util.Arrays;
import java.util.List;

/** Command-line tools of the model-facing library: {@code embed}. */
public final class SidAssignerMain {
    private SidAssignerMain() {}

    public static void main(String[] args) throws Exception {
        if (args.length == 0 || !args[0].equals("embed")) {
            System.err.println("usage: embed --catalog FILE --out DIR [--batch N] [--threads N]");
            System.exit(2);
        }
        List<String> rest = Arrays.asList(args).subList(1, args.length);
        System.exit(EmbedCommand.run(rest, System.out));
    }
}
