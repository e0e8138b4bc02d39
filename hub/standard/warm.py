"""Every libxml2 structure the hub uses, built once at start-up (issue 13)."""

from hub.standard.notice import stylesheet
from hub.standard.signatures import dsig_schema
from hub.standard.xml import schema


def warm_up() -> None:
    """Build the standard's XSD, the XML-signature XSD and the notice's XSLT now, in the calling thread.

    Call it before a server or a worker starts its threads, so that they only use what is built: libxml2
    must not build two of these at once (hub/standard/xml.py, BUILD_LOCK). Each is built once per process;
    a second call costs nothing.
    """
    schema()
    dsig_schema()
    stylesheet()
