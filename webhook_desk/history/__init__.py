"""The delivery history: queries (keyset-paged), and later export and import."""
