"""Engines that run the document-level MinHash/LSH stage somewhere else than this process.

The local engine is :func:`dedup.cluster.local_edges`. The steps every engine runs are in
:mod:`dedup.engines.core` (shard → band records, bucket → candidate pairs, pairs → verified
edges, edges → components); an adapter such as :mod:`dedup.engines.ray` only schedules them and
moves their arrays. Adapters import their engine lazily, so this package imports without them.
"""
