"""Command line: produce JSON records to sidstream topics, consume them decoded, list fingerprints.

    python3 -m sidstream_client fingerprints --schemas contracts/src/main/avro
    python3 -m sidstream_client decode --schemas DIR --topic T HEX: one value as JSON (any release)
    python3 -m sidstream_client produce --bootstrap localhost:9092 --schemas DIR FILE.jsonl
        each line: {"topic": "items.raw.v1", "key": "i1", "value": {...} or null}
    python3 -m sidstream_client consume --bootstrap localhost:9092 --schemas DIR --topic T
        [--max N] [--timeout S]: JSON lines {"key", "partition", "value"} of the records read

Producer and consumer use librdkafka's defaults (its consistent_random partitioner included).
With --registry URL, values use the schema-registry framing (services: SIDSTREAM_WIRE_FORMAT=registry).
"""

import argparse
import json
import sys
import time

from confluent_kafka import Consumer, Producer

from . import Schemas


def _produce(args, schemas):
    producer = Producer({"bootstrap.servers": args.bootstrap})
    failures = []

    def report(err, msg):
        if err is not None:
            failures.append(str(err))

    sent = 0
    with open(args.file, encoding="utf-8") as fh:
        for line in fh:
            if not line.strip():
                continue
            rec = json.loads(line)
            topic = rec["topic"]
            value = rec.get("value")
            raw = rec.get("raw_hex")
            payload = bytes.fromhex(raw) if raw is not None else (
                None if value is None else schemas.encode_for(topic, value))
            key = rec.get("key")
            producer.produce(topic, key=None if key is None else key.encode("utf-8"),
                             value=payload, on_delivery=report)
            producer.poll(0)
            sent += 1
    left = producer.flush(60)
    if failures or left:
        print("failed: %d undelivered, errors %s" % (left, failures[:5]), file=sys.stderr)
        return 1
    print(json.dumps({"produced": sent}))
    return 0


def _consume(args, schemas):
    consumer = Consumer({
        "bootstrap.servers": args.bootstrap,
        "group.id": args.group,
        "auto.offset.reset": "earliest",
        "isolation.level": "read_committed",
        "enable.auto.commit": False,
    })
    consumer.subscribe([args.topic])
    deadline = time.time() + args.timeout
    read = 0
    try:
        while time.time() < deadline and (args.max is None or read < args.max):
            msg = consumer.poll(0.5)
            if msg is None or msg.error():
                continue
            value = None if msg.value() is None else schemas.decode_from(args.topic, msg.value())
            print(json.dumps({
                "key": None if msg.key() is None else msg.key().decode("utf-8"),
                "partition": msg.partition(),
                "value": value,
            }, default=str))
            read += 1
    finally:
        consumer.close()
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(prog="sidstream_client")
    sub = parser.add_subparsers(dest="command", required=True)
    fp = sub.add_parser("fingerprints")
    fp.add_argument("--schemas", required=True)
    prod = sub.add_parser("produce")
    prod.add_argument("--bootstrap", required=True)
    prod.add_argument("--schemas", required=True)
    prod.add_argument("file")
    dec = sub.add_parser("decode")
    dec.add_argument("--schemas", required=True)
    dec.add_argument("--topic", required=True)
    dec.add_argument("hex")
    cons = sub.add_parser("consume")
    cons.add_argument("--bootstrap", required=True)
    cons.add_argument("--schemas", required=True)
    cons.add_argument("--topic", required=True)
    cons.add_argument("--group", default="sidstream-client")
    cons.add_argument("--max", type=int)
    cons.add_argument("--timeout", type=float, default=30)
    for command in (prod, cons):
        command.add_argument("--registry", help="schema registry base URL (registry framing)")
    args = parser.parse_args(argv)
    schemas = Schemas(args.schemas, getattr(args, "registry", None))
    if args.command == "fingerprints":
        print(json.dumps(schemas.fingerprints(), indent=2, sort_keys=True))
        return 0
    if args.command == "produce":
        return _produce(args, schemas)
    if args.command == "decode":
        print(json.dumps(schemas.decode_from(args.topic, bytes.fromhex(args.hex)), default=str))
        return 0
    return _consume(args, schemas)


if __name__ == "__main__":
    sys.exit(main())
