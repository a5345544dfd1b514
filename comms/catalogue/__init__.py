"""The catalogue: items of every kind, their files, tags and regions."""
