"""A small non-Java client kit for sidstream's topics.

Records on sidstream's topics are Avro with single-object encoding: the marker ``C3 01``, the
writer schema's 8-byte CRC-64-AVRO fingerprint (little-endian) of its Parsing Canonical Form, then
the Avro binary body. This module computes the canonical form per the Avro specification (Debian's
python3-avro 1.11 gets it wrong for ``timestamp-millis`` fields), encodes and decodes bodies with
python3-avro, and produces/consumes with python3-confluent-kafka at its default settings: no
partitioner needs configuring, sidstream re-keys its inputs itself.

With a schema registry (services started with ``SIDSTREAM_WIRE_FORMAT=registry``), records use
the registry framing instead: magic byte ``0``, the writer schema's 4-byte big-endian id, then the
Avro body. ``Schemas(directory, registry_url=...)`` registers and resolves ids through
python3-confluent-kafka's own ``SchemaRegistryClient`` (subject ``<topic>-value``), so anything
registry-aware reads what it writes.
"""

import datetime
import io
import json
import os

import avro.io
import avro.schema

__all__ = [
    "Schemas",
    "RegistryFraming",
    "canonical_form",
    "fingerprint",
    "TOPIC_SCHEMAS",
]

# Topic -> value record of the topic catalogue (io.sidstream.contracts.Topics).
TOPIC_SCHEMAS = {
    "items.raw.v1": "ItemEvent",
    "items.sid.v1": "ItemSid",
    "items.catalog.v1": "ItemEvent",
    "users.events.v1": "InteractionEvent",
    "users.history.v1": "UserHistory",
    "retrieval.requests.v1": "RetrievalRequest",
    "recs.results.v1": "Recommendations",
    "items.raw.v1.dlq": "DeadLetter",
    "users.events.v1.dlq": "DeadLetter",
    "retrieval.requests.v1.dlq": "DeadLetter",
}

_MARKER = b"\xc3\x01"
_PRIMITIVES = {"null", "boolean", "int", "long", "float", "double", "bytes", "string"}


def canonical_form(schema):
    """The Parsing Canonical Form of a schema given as parsed JSON, as a string."""
    seen = set()

    def full(name, namespace):
        if "." in name or not namespace:
            return name
        return namespace + "." + name

    def pcf(s, namespace):
        if isinstance(s, str):
            if s in _PRIMITIVES:
                return json.dumps(s)
            name = full(s, namespace)
            return json.dumps(name)
        if isinstance(s, list):
            return "[" + ",".join(pcf(b, namespace) for b in s) + "]"
        kind = s["type"]
        if kind in _PRIMITIVES:
            return json.dumps(kind)
        if kind in ("record", "error", "enum", "fixed"):
            ns = s.get("namespace", namespace)
            name = full(s["name"], ns)
            ns = name.rsplit(".", 1)[0] if "." in name else ns
            if name in seen:
                return json.dumps(name)
            seen.add(name)
            parts = ['"name":' + json.dumps(name), '"type":' + json.dumps("record" if kind == "error" else kind)]
            if kind in ("record", "error"):
                fields = ",".join(
                    '{"name":' + json.dumps(f["name"]) + ',"type":' + pcf(f["type"], ns) + "}"
                    for f in s["fields"]
                )
                parts.append('"fields":[' + fields + "]")
            elif kind == "enum":
                parts.append('"symbols":[' + ",".join(json.dumps(x) for x in s["symbols"]) + "]")
            else:
                parts.append('"size":' + str(int(s["size"])))
            return "{" + ",".join(parts) + "}"
        if kind == "array":
            return '{"type":"array","items":' + pcf(s["items"], namespace) + "}"
        if kind == "map":
            return '{"type":"map","values":' + pcf(s["values"], namespace) + "}"
        raise ValueError("unknown schema type %r" % (kind,))

    return pcf(schema, None)


_EMPTY = 0xC15D213AA4D7A795
_TABLE = []
for _i in range(256):
    _fp = _i
    for _ in range(8):
        _fp = (_fp >> 1) ^ (_EMPTY & -(_fp & 1))
    _TABLE.append(_fp & 0xFFFFFFFFFFFFFFFF)


def fingerprint(canonical):
    """CRC-64-AVRO (Rabin) of a canonical form, as the spec's 64-bit integer."""
    fp = _EMPTY
    for b in canonical.encode("utf-8"):
        fp = (fp >> 8) ^ _TABLE[(fp ^ b) & 0xFF]
    return fp & 0xFFFFFFFFFFFFFFFF


class RegistryFraming:
    """Schema ids from a registry with the Confluent-compatible REST API (Apicurio: .../apis/ccompat/v7)."""

    def __init__(self, url, basic_auth=None):
        from confluent_kafka.schema_registry import SchemaRegistryClient

        conf = {"url": url}
        if basic_auth:
            conf["basic.auth.user.info"] = basic_auth
        self._client = SchemaRegistryClient(conf)
        self._ids = {}
        self._writers = {}

    def id_for(self, topic, schema_json):
        subject = topic + "-value"
        if subject not in self._ids:
            from confluent_kafka.schema_registry import Schema

            self._ids[subject] = self._client.register_schema(subject, Schema(schema_json, "AVRO"))
        return self._ids[subject]

    def writer(self, schema_id):
        if schema_id not in self._writers:
            self._writers[schema_id] = avro.schema.parse(self._client.get_schema(schema_id).schema_str)
        return self._writers[schema_id]


class Schemas:
    """The contracts of a schema directory (contracts/src/main/avro): encode and decode values."""

    def __init__(self, directory, registry_url=None, registry_auth=None, released=None):
        self._registry = RegistryFraming(registry_url, registry_auth) if registry_url else None
        self._json, self._parsed, self._fingerprints = _load(directory)
        self._writer_json = {}
        # Records written with an earlier release's schema stay readable, as in Java: the
        # released schema sets sit next to the current ones in the repository.
        if released is None:
            candidate = os.path.join(directory, "..", "resources", "io", "sidstream", "contracts", "released")
            released = candidate if os.path.isdir(candidate) else None
        self._writers = {}
        for release in sorted(os.listdir(released)) if released else []:
            _, parsed, fps = _load(os.path.join(released, release))
            for name, fp in fps.items():
                self._writers[fp] = (name, parsed[name])
        for name, fp in self._fingerprints.items():
            self._writers[fp] = (name, self._parsed[name])

    def _expanded(self, raw):
        return _expand(raw, self._json)

    def fingerprint_of(self, record_name):
        return self._fingerprints[record_name]

    def fingerprints(self):
        """Record name -> fingerprint as 16 hex digits (the header's 8 bytes, little-endian)."""
        return {n: self._fingerprints[n].to_bytes(8, "little").hex() for n in sorted(self._fingerprints)}

    def encode(self, record_name, value):
        """Single-object encoding of a value (a dict; timestamp-millis fields as epoch ms)."""
        schema = self._parsed[record_name]
        out = io.BytesIO()
        out.write(_MARKER)
        out.write(self._fingerprints[record_name].to_bytes(8, "little"))
        avro.io.DatumWriter(schema).write(_to_avro(schema, value), avro.io.BinaryEncoder(out))
        return out.getvalue()

    def encode_for(self, topic, value):
        """A value for ``topic`` in the selected wire format (registry framing with a registry)."""
        record_name = TOPIC_SCHEMAS[topic]
        if self._registry is None:
            return self.encode(record_name, value)
        schema = self._parsed[record_name]
        if record_name not in self._writer_json:
            self._writer_json[record_name] = json.dumps(self._expanded(self._json[record_name]))
        schema_id = self._registry.id_for(topic, self._writer_json[record_name])
        out = io.BytesIO()
        out.write(b"\x00")
        out.write(schema_id.to_bytes(4, "big"))
        avro.io.DatumWriter(schema).write(_to_avro(schema, value), avro.io.BinaryEncoder(out))
        return out.getvalue()

    def decode_from(self, topic, data):
        """A value read from ``topic``: registry-framed (with a registry) or single-object."""
        record_name = TOPIC_SCHEMAS[topic]
        if data[:1] == b"\x00" and len(data) >= 5:
            if self._registry is None:
                raise ValueError("registry-framed record (schema id %d): pass a registry url"
                                 % int.from_bytes(data[1:5], "big"))
            writer = self._registry.writer(int.from_bytes(data[1:5], "big"))
            reader = avro.io.DatumReader(writer, self._parsed[record_name])
            return reader.read(avro.io.BinaryDecoder(io.BytesIO(data[5:])))
        return self.decode(record_name, data)

    def decode(self, record_name, data):
        """The value of a single-object encoded record, written by the current schema or a released one."""
        if data[:2] != _MARKER:
            raise ValueError("not Avro single-object encoding")
        got = int.from_bytes(data[2:10], "little")
        writer = self._writers.get(got)
        if writer is None or writer[0] != record_name:
            raise ValueError("fingerprint %016x is no known %s schema" % (got, record_name))
        reader = avro.io.DatumReader(writer[1], self._parsed[record_name])
        return reader.read(avro.io.BinaryDecoder(io.BytesIO(data[10:])))


def _expand(raw, json_by_name):
    """The schema with references to shared named types inlined, as the writer sees it."""
    def expand(s, namespace):
        if isinstance(s, str) and s not in _PRIMITIVES:
            short = s.rsplit(".", 1)[-1]
            if short in json_by_name and short != raw["name"]:
                return expand(json_by_name[short], json_by_name[short].get("namespace", namespace))
            return s
        if isinstance(s, list):
            return [expand(b, namespace) for b in s]
        if isinstance(s, dict):
            out = dict(s)
            if "fields" in out:
                out["fields"] = [dict(f, type=expand(f["type"], out.get("namespace", namespace))) for f in out["fields"]]
            if "items" in out:
                out["items"] = expand(out["items"], namespace)
            if "values" in out:
                out["values"] = expand(out["values"], namespace)
            return out
        return s
    return expand(raw, raw.get("namespace"))


def _load(directory):
    """(json, parsed, fingerprint) by record name of the .avsc files of a directory."""
    json_by_name = {}
    names = avro.schema.Names()
    # Shared named types first, as the Java build does.
    files = sorted(os.listdir(directory), key=lambda f: (f != "HistoryEntry.avsc", f))
    for f in files:
        if not f.endswith(".avsc"):
            continue
        with open(os.path.join(directory, f), encoding="utf-8") as fh:
            raw = json.load(fh)
        json_by_name[raw["name"]] = raw
        avro.schema.make_avsc_object(raw, names)
    parsed = {}
    fingerprints = {}
    for name, raw in json_by_name.items():
        parsed[name] = names.get_name(raw.get("namespace", "") + "." + name, None)
        fingerprints[name] = fingerprint(canonical_form(_expand(raw, json_by_name)))
    return json_by_name, parsed, fingerprints


def _to_avro(schema, value):
    """python3-avro wants datetimes for timestamp-millis; the wire carries epoch milliseconds."""
    if isinstance(schema, avro.schema.RecordSchema):
        return {f.name: _to_avro(f.type, value.get(f.name, _default(f))) for f in schema.fields}
    if isinstance(schema, avro.schema.UnionSchema):
        if value is None:
            return None
        for branch in schema.schemas:
            if branch.type != "null":
                return _to_avro(branch, value)
    if isinstance(schema, avro.schema.ArraySchema):
        return [_to_avro(schema.items, v) for v in value]
    if getattr(schema, "logical_type", None) == "timestamp-millis" and isinstance(value, int):
        return datetime.datetime.fromtimestamp(value / 1000.0, tz=datetime.timezone.utc)
    return value


def _default(field):
    return field.default if field.has_default else None
