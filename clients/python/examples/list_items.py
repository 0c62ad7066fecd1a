"""Print every live item, its Semantic ID and its ranker tokens, as JSON lines, from items.sid.v1.

    python3 list_items.py [--bootstrap HOST:PORT] [--registry URL]
"""

import json
import time

from confluent_kafka import OFFSET_BEGINNING, TopicPartition

from _common import parser, reading_consumer, schemas

TOPIC = "items.sid.v1"


def live_items(bootstrap, codec, timeout_s=30.0):
    """Item id -> SID record of every live item: the topic read to its end, tombstones applied."""
    consumer = reading_consumer(bootstrap, "list-items")
    try:
        partitions = consumer.list_topics(TOPIC, timeout=timeout_s).topics[TOPIC].partitions
        ends = {}
        for p in partitions:
            low, high = consumer.get_watermark_offsets(TopicPartition(TOPIC, p), timeout=timeout_s)
            if high > low:
                ends[p] = high
        consumer.assign([TopicPartition(TOPIC, p, OFFSET_BEGINNING) for p in ends])
        items = {}
        deadline = time.time() + timeout_s
        while True:
            # Done when every partition's position passed its end (transaction markers included).
            positions = consumer.position([TopicPartition(TOPIC, p) for p in ends])
            if all(tp.offset >= ends[tp.partition] for tp in positions):
                break
            if time.time() > deadline:
                raise TimeoutError("%s not read to its end in %.0f s" % (TOPIC, timeout_s))
            msg = consumer.poll(1.0)
            if msg is None or msg.error() or msg.key() is None:
                continue
            key = msg.key().decode("utf-8")
            if msg.value() is None:
                items.pop(key, None)
            else:
                items[key] = codec.decode_from(TOPIC, msg.value())
        return items
    finally:
        consumer.close()


def main():
    args = parser(__doc__).parse_args()
    for item_id, sid in sorted(live_items(args.bootstrap, schemas(args)).items()):
        print(json.dumps({"item_id": item_id, "sid": sid["sid"], "model_version": sid["modelVersion"],
                          "ranker_tokens": sid.get("rankerTokens", {})}))


if __name__ == "__main__":
    main()
