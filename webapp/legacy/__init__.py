"""The import of the old EarlyBird database (two generations of collections) into the unified model.

reader: the legacy collections read once each, field spellings, statuses and money normalised;
people, orders, deliveries, billing: the documents planned in memory, joined in Python dicts;
report: what was read, imported, merged, skipped and recovered; run: ids, batched writes, undo.
"""
