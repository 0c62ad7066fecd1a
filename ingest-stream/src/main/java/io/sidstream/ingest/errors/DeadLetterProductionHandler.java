package io.sidstream.ingest.errors;

import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProductionExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What to do when the broker refuses a record ingest-stream writes. Dead letters are bounded (see
 * {@code DeadLetters}) so they fit the broker's default limit; should a topic's limit be lower, a
 * refused dead letter is dropped with an ERROR naming its key (the original stays in its source
 * topic), rather than failing the transaction and re-reading the same record forever. Every other
 * refusal is fatal: an output that cannot be written must stop the pipeline loudly.
 */
public final class DeadLetterProductionHandler implements ProductionExceptionHandler {
    private static final Logger LOG = LoggerFactory.getLogger(DeadLetterProductionHandler.class);

    /** Dead letters the broker refused since start; read by tests and logs. */
    public static final AtomicLong DROPPED = new AtomicLong();

    @Override
    public Response handleError(
            ErrorHandlerContext context,
            ProducerRecord<byte[], byte[]> record,
            Exception exception) {
        if (record.topic().endsWith(".dlq") && exception instanceof RecordTooLargeException) {
            DROPPED.incrementAndGet();
            LOG.error(
                    "dead letter refused by the broker and dropped topic={} bytes={} source={}-{}@{}"
                            + " reason={}",
                    record.topic(),
                    record.value() == null ? 0 : record.value().length,
                    context.topic(),
                    context.partition(),
                    context.offset(),
                    exception.getMessage());
            return Response.resume();
        }
        return Response.fail();
    }

    @Override
    public void configure(Map<String, ?> configs) {
        // Nothing to configure.
    }
}
