"""Press releases: the project's announcements, with media contacts."""

from __future__ import annotations

from comms import links
from comms.kinds import values
from comms.kinds.registry import Field, Kind
from comms.messages import N_

KIND = Kind(
    name="press_release",
    plural="press-releases",
    label=N_("Press release"),
    plural_label=N_("Press releases"),
    in_sentence=N_("press releases"),
    archived_notice=N_(
        "This press release is archived: it is kept for reference and may be "
        "out of date."
    ),
    schema_type="NewsArticle",
    fields=(
        Field(
            "contacts",
            values.mapping_list(
                "name",
                "organisation",
                "email",
                "phone",
                checks={"email": links.email_address},
            ),  # fmt: skip
            label="Media contacts",
            widget="contacts",
            hint="One a line: name; organisation; e-mail; phone",
            schema={"type": "array", "items": {"type": "object"}},
        ),
    ),
)
