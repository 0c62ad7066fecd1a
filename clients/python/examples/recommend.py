"""Ask for a user's recommendations over Kafka and print the answer as one JSON line.

The request carries no history: retrieval-server reads the user's stored history (lookupHistory)
and leaves out what the user has seen. The answer arrives on recs.results.v1 with the same
request id.

    python3 recommend.py USER [--k 10] [--beam 64] [--timeout 60] [--bootstrap HOST:PORT] [--registry URL]
"""

import json
import time
import uuid

from confluent_kafka import Producer, TopicPartition

from _common import parser, reading_consumer, schemas

REQUESTS = "retrieval.requests.v1"
RESULTS = "recs.results.v1"


def recommend(bootstrap, codec, user, k=10, beam=64, timeout_s=60.0):
    consumer = reading_consumer(bootstrap, "recommend")
    try:
        # Start at the current end of every partition, before asking, so the answer is not missed.
        partitions = consumer.list_topics(RESULTS, timeout=30).topics[RESULTS].partitions
        starts = [TopicPartition(RESULTS, p, consumer.get_watermark_offsets(
            TopicPartition(RESULTS, p), timeout=30)[1]) for p in partitions]
        consumer.assign(starts)
        request_id = "py-" + uuid.uuid4().hex
        request = {"requestId": request_id, "userId": user, "history": None, "lookupHistory": True,
                   "numCandidates": k, "beamWidth": beam, "includePrefixes": [], "excludePrefixes": [],
                   "excludeSeen": True, "requestedAt": int(time.time() * 1000)}
        producer = Producer({"bootstrap.servers": bootstrap})
        errors = []
        producer.produce(REQUESTS, key=user.encode("utf-8"), value=codec.encode_for(REQUESTS, request),
                         on_delivery=lambda err, msg: errors.append(err) if err else None)
        if producer.flush(30) or errors:
            raise RuntimeError("request not delivered: %s" % errors)
        deadline = time.time() + timeout_s
        while time.time() < deadline:
            msg = consumer.poll(0.5)
            if msg is None or msg.error() or msg.value() is None:
                continue
            answer = codec.decode_from(RESULTS, msg.value())
            if answer["requestId"] == request_id:
                return answer
        raise TimeoutError("no answer to %s within %.0f s" % (request_id, timeout_s))
    finally:
        consumer.close()


def main():
    p = parser(__doc__)
    p.add_argument("user")
    p.add_argument("--k", type=int, default=10)
    p.add_argument("--beam", type=int, default=64)
    p.add_argument("--timeout", type=float, default=60)
    args = p.parse_args()
    answer = recommend(args.bootstrap, schemas(args), args.user, args.k, args.beam, args.timeout)
    print(json.dumps({"user": args.user, "request_id": answer["requestId"],
                      "model_version": answer["modelVersion"],
                      "items": [c["itemId"] for c in answer["candidates"]]}))


if __name__ == "__main__":
    main()
