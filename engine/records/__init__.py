"""Session records at rest: sealing finished sessions to a clinic's public key (age format),
opening them with the identity, a patient's erasure and their export.

- ``keyfiles``: the recipients a sessions root seals to, and identity files (``vrex keys``);
- ``seal``: a finished session folder sealed file by file (``SESSION/sealed.json`` lists them);
- ``unseal``: a sealed folder opened into a private temporary folder, removed afterwards;
- ``erase`` and ``patient_export``: ``vrex erase`` and ``vrex export --patient``.

docs/security.md says what this protects, against whom, and what a clinic must still do.
"""
