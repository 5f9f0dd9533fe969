"""The weekly settlement with Avito: lines, freezing, export and the diff against Avito."""
