"""Identity shared by every process: signing keys, offline JWT verification, the caller."""
