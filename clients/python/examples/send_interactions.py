"""Send interactions of one user (CLICK by default), timestamped now, to users.events.v1.

    python3 send_interactions.py USER ITEM [ITEM ...] [--type LIKE] [--bootstrap HOST:PORT] [--registry URL]
"""

import json
import time
import uuid

from confluent_kafka import Producer

from _common import parser, schemas

TOPIC = "users.events.v1"


def send(bootstrap, codec, user, items, event_type="CLICK"):
    producer = Producer({"bootstrap.servers": bootstrap})
    errors = []
    now = int(time.time() * 1000)
    for i, item in enumerate(items):
        value = {"eventId": uuid.uuid4().hex, "userId": user, "itemId": item,
                 "eventType": event_type, "value": None, "eventTime": now - (len(items) - i)}
        producer.produce(TOPIC, key=user.encode("utf-8"), value=codec.encode_for(TOPIC, value),
                         on_delivery=lambda err, msg: errors.append(err) if err else None)
    if producer.flush(30) or errors:
        raise RuntimeError("undelivered interactions: %s" % errors[:3])
    return len(items)


def main():
    p = parser(__doc__)
    p.add_argument("user")
    p.add_argument("items", nargs="+")
    p.add_argument("--type", default="CLICK")
    args = p.parse_args()
    sent = send(args.bootstrap, schemas(args), args.user, args.items, args.type)
    print(json.dumps({"user": args.user, "sent": sent}))


if __name__ == "__main__":
    main()
