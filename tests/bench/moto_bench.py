"""moto for `make test`, `make bench` and `make chaos`, with two changes: its rollback,
and one DynamoDB request at a time.

moto's TransactWriteItems deep-copies every table a transaction touches before it
writes anything, and restores that copy when the transaction is cancelled. Two
things follow. Each transaction costs time in proportion to the whole table: with
100,000 reports every conditional write takes seconds, and the benchmark would
measure moto's snapshot instead of the SLA sweep. And a cancelled transaction
wipes whatever another request committed to the table in the meantime, which
DynamoDB never does: under the chaos test's faults, an accepted report vanished.
This server keeps moto's transaction logic as it is and snapshots only the items
the transaction touches, restoring them when it is cancelled; that is all a
rollback needs.

moto also applies a conditional write without a lock: two requests served on two
threads can both pass the same condition (two claims of one item, six wrong code
guesses counted against five attempts), and a reader can see an item half-written.
DynamoDB makes every item write atomic and every transaction serializable, so this
server handles one DynamoDB request at a time (moto holds Python's GIL anyway, so
little is lost). Nothing else is changed.
"""

import copy
import sys
import threading

import moto.dynamodb.models as models
import moto.dynamodb.responses as responses
from moto.server import main


class _TablesBySnapshot:
    """`copy` as moto's DynamoDB backend sees it: tables are not deep-copied."""

    @staticmethod
    def deepcopy(value, memo=None):
        if isinstance(value, models.Table):
            return value
        return copy.deepcopy(value, memo)

    def __getattr__(self, name):
        return getattr(copy, name)


models.copy = _TablesBySnapshot()
_original = models.DynamoDBBackend.transact_write_items


def _key(backend, op_type, op):
    table = backend.get_table(op["TableName"])
    if op_type != "Put":
        return op["Key"]
    attrs = op["Item"]
    key = {table.hash_key_attr: attrs[table.hash_key_attr]}
    if table.range_key_attr is not None:
        key[table.range_key_attr] = attrs[table.range_key_attr]
    return key


def transact_write_items(self, transact_items):
    touched = []
    try:
        for item in transact_items:
            op_type, op = next(iter(item.items()))
            key = _key(self, op_type, op)
            current = self.get_item(op["TableName"], key)
            before = copy.deepcopy(current.to_json()["Attributes"]) if current else None
            touched.append((op["TableName"], key, before))
    except Exception:
        # Malformed input: moto's own checks below report it.
        touched = []
    try:
        return _original(self, transact_items)
    except Exception:
        for table_name, key, before in reversed(touched):
            if before is None:
                if self.get_item(table_name, key) is not None:
                    self.delete_item(table_name, key)
            else:
                self.put_item(table_name, before)
        raise


models.DynamoDBBackend.transact_write_items = transact_write_items

_one_at_a_time = threading.Lock()
_call_action = responses.DynamoHandler.call_action


def call_action(self):
    with _one_at_a_time:
        return _call_action(self)


responses.DynamoHandler.call_action = call_action

if __name__ == "__main__":
    sys.exit(main())
