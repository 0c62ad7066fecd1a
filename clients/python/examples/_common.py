"""Shared options of the examples: where the broker, the schemas and (optionally) the registry are."""

import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from sidstream_client import Schemas  # noqa: E402

_REPO_SCHEMAS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..",
                             "contracts", "src", "main", "avro")


def parser(description):
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--bootstrap", default="localhost:9092", help="Kafka bootstrap servers")
    p.add_argument("--schemas", default=_REPO_SCHEMAS, help="directory of sidstream's .avsc files")
    p.add_argument("--registry", help="schema registry URL, when the services use the registry framing")
    return p


def schemas(args):
    return Schemas(args.schemas, args.registry)


def reading_consumer(bootstrap, purpose):
    """A consumer in a group of its own that reads committed records and commits nothing."""
    import uuid

    from confluent_kafka import Consumer

    return Consumer({
        "bootstrap.servers": bootstrap,
        "group.id": purpose + "-" + uuid.uuid4().hex,
        "enable.auto.commit": False,
        "isolation.level": "read_committed",
    })
