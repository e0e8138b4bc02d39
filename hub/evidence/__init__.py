"""Evidence of a case: `hub evidence export` writes a signed archive, `hub evidence verify` checks it offline.

The archive (a ZIP file; names are in layout.py):

    manifest.json      what the archive holds: every member with its size and sha256, the case, the court,
                       the export time, the hub version and the audit head (seq, hash) at export
    manifest.sig       the hub's signature over the exact bytes of manifest.json (absent when unsigned)
    hub-cert.pem       the certificate of the key that made manifest.sig (absent when unsigned)
    summary.txt        what the case holds, request by request and unit by unit, in Chinese
    audit.jsonl        the audit events of the case's requests, tasks and controls, one JSON object a line
    requests/<RequestNo>/request.xml                              the request, byte for byte as received
    requests/<RequestNo>/files/<filename>                         its legal documents
    requests/<RequestNo>/receipts/<unit>/<ReceiptNo>/receipt.xml  each receipt, byte for byte as received
    requests/<RequestNo>/receipts/<unit>/<ReceiptNo>/files/<filename>   its attachments

A file's <filename> is the one its document lists, or, where a document stored before the standard limited
names lists one that some system cannot extract (CON, a name of 360 bytes), a safe name close to it; the
manifest then gives the listed name as the member's "filename".

verify.py needs neither the database nor the settings: a court can run it on the archive alone.
"""
