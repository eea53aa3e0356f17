"""Posts one file to /verify/ in a fresh process and prints its memory growth as JSON.

Run by test_verify_upload_bombs in a subprocess, so the figure is this one request's and
not whatever the test process happened to allocate before:

    python -m tests.certificates.upload_memory_probe FILE NAME

Prints {"status", "body", "peak_growth_mb", "settled_growth_mb"}: the growth of the peak
resident set (ru_maxrss) across the request, and of the resident set once it is over.
"""

import gc
import json
import os
import resource
import sys
from pathlib import Path

# A runaway upload must fail here, not take the machine's memory from its neighbours.
ADDRESS_SPACE_LIMIT = 6 * 1024**3


def resident_mb() -> float:
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1024**2


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes


def main(path: str, name: str) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE_LIMIT, ADDRESS_SPACE_LIMIT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lms.settings.test")
    import django

    django.setup()
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client

    client = Client()
    data = Path(path).read_bytes()
    # Warm up: import and compile everything one upload touches, so the figures below
    # are the upload's own work.
    client.get("/verify/")
    client.post("/verify/", {"file": SimpleUploadedFile("w.pdf", b"%PDF-1.7\n broken")})
    client.post("/verify/", {"file": SimpleUploadedFile("w.json", b'{"type": []}')})
    gc.collect()
    peak_before, resident_before = peak_mb(), resident_mb()
    response = client.post("/verify/", {"file": SimpleUploadedFile(name, data)})
    peak_after = peak_mb()
    status, body = response.status_code, response.content.decode()
    del response
    gc.collect()
    figures = {
        "status": status,
        "body": body,
        "peak_growth_mb": round(peak_after - peak_before, 1),
        "settled_growth_mb": round(resident_mb() - resident_before, 1),
    }
    sys.stdout.write(json.dumps(figures) + "\n")


if __name__ == "__main__":
    main(*sys.argv[1:3])
