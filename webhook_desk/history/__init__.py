"""The delivery history: filtered keyset-paged queries (queries, payload_text, driver_reads),
the CentrePoint v3/v1 shapes (centrepoint_format), export, import (importer) and the numbers
behind the History charts (trends)."""
