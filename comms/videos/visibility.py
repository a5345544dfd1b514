"""Which video types appear on the news page and in feeds (COMMS_VIDEO_PUBLIC_TYPES).

The tests live with the video kind (comms.kinds.video), below the catalogue that
applies them; they are named here too for the video code that uses them.
"""

from __future__ import annotations

from comms.kinds.video import is_listed as is_listed
from comms.kinds.video import listed as listed
