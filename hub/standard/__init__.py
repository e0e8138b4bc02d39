"""The document standard 1.0 (docs/STANDARD.md): parsing and checking requests and receipts.

Pure code: no database, no HTTP. The XSD lives in schemas/.
"""

NS = "urn:linkage-hub:enforcement:1.0"
DSIG_NS = "http://www.w3.org/2000/09/xmldsig#"
