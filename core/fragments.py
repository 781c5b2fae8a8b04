"""Rendered parts of pages kept in the process, bounded in size.

A part is stored under a key that names everything it was rendered from (the object's version,
the reader's language and time zone, what the reader may see), so the cache needs no
invalidation: a change makes a new key, and old entries leave as the least recently used once
the cache is full.
"""

import threading
from collections import OrderedDict
from collections.abc import Hashable


class FragmentCache:
    """A least-recently-used map of key -> dict of str, at most `max_chars` characters in all."""

    def __init__(self, max_chars: int) -> None:
        self.max_chars = max_chars
        self.size = 0
        self.entries: OrderedDict[Hashable, tuple[int, dict[str, str]]] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: Hashable) -> dict[str, str] | None:
        with self.lock:
            entry = self.entries.get(key)
            if entry is None:
                return None
            self.entries.move_to_end(key)
            return entry[1]

    def put(self, key: Hashable, parts: dict[str, str]) -> None:
        size = sum(len(text) for text in parts.values())
        if size > self.max_chars:
            return
        with self.lock:
            old = self.entries.pop(key, None)
            if old is not None:
                self.size -= old[0]
            self.entries[key] = (size, parts)
            self.size += size
            while self.size > self.max_chars:
                _key, (dropped, _parts) = self.entries.popitem(last=False)
                self.size -= dropped

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()
            self.size = 0
