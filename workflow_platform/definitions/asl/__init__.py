"""The Amazon States Language: import to, export from, and run in our definition format.

``importer.translate`` and ``exporter.export`` map machines and documents; ``paths``,
``intrinsics``, ``processing`` and ``choice`` are the runtime pieces the engine applies
to an imported machine's transitions (ADR 0016, docs/interchange.md).
"""
