"""The OpenAPI 3.1 document of /api/v1, as a Python dict (tested against the API)."""

from __future__ import annotations

from typing import Any

from comms import kinds
from comms.api.service import DEFAULT_LIMIT, MAX_LIMIT
from comms.catalogue.models import KIND_PLURALS, KINDS, STATUSES
from comms.site import Site

JSON = "application/json"
NULLABLE_STRING = {"type": ["string", "null"]}
NULLABLE_INT = {"type": ["integer", "null"], "minimum": 0}
TIMESTAMP = {"type": "string", "format": "date-time"}
NULLABLE_TIMESTAMP = {"type": ["string", "null"], "format": "date-time"}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _ok(schema: str, description: str) -> dict[str, Any]:
    return {
        "description": description,
        "headers": {
            "ETag": {
                "description": "Validator of this answer; send it as If-None-Match.",
                "required": True,
                "schema": {"type": "string"},
            },
            "Access-Control-Allow-Origin": {
                "description": "Any origin may read the API.",
                "required": True,
                "schema": {"type": "string", "const": "*"},
            },
        },
        "content": {JSON: {"schema": _ref(schema)}},
    }


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": _ref("Error")}}}


def _responses(schema: str, description: str, *statuses: int) -> dict[str, Any]:
    responses: dict[str, Any] = {
        "200": _ok(schema, description),
        "304": {"description": "Not modified: the If-None-Match ETag still holds."},
        "429": {
            "description": "Too many requests from this address: wait and retry.",
            "headers": {
                "Retry-After": {
                    "description": "Seconds to wait.",
                    "required": True,
                    "schema": {"type": "string", "pattern": "^[0-9]+$"},
                }
            },
            "content": {JSON: {"schema": _ref("Error")}},
        },
    }
    texts = {400: "A parameter has a value that cannot be used.", 404: "Not found."}
    for status in statuses:
        responses[str(status)] = _error(texts[status])
    return responses


def _query(name: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema,
    }


def kind_properties() -> dict[str, Any]:
    """The item properties of every kind, as each kind declares them."""
    properties: dict[str, Any] = {}
    for kind in kinds.all_kinds():
        for field in kind.api_fields:
            properties.setdefault(field.name, dict(field.schema or {}))
        for name, schema in kind.api_extra_schema.items():
            properties.setdefault(name, dict(schema))
    return properties


def _schemas(site: Site) -> dict[str, Any]:
    link = {
        "type": "object",
        "required": ["language", "slug", "url"],
        "properties": {
            "language": {"type": "string"},
            "slug": {"type": "string"},
            "url": {"type": "string", "format": "uri"},
        },
    }
    item = {
        "type": "object",
        "description": "A public item. Fields after `api_url` appear for their kind.",
        "required": [
            "id",
            "kind",
            "slug",
            "language",
            "translation",
            "status",
            "title",
            "summary",
            "tags",
            "regions",
            "published_at",
            "updated_at",
            "author",
            "image",
            "image_alt",
            "url",
            "api_url",
        ],  # fmt: skip
        "properties": {
            "id": {"type": "string", "description": "Stable identifier (UUID)."},
            "kind": {"type": "string", "enum": list(KINDS)},
            "slug": {"type": "string"},
            "language": {"type": "string"},
            "translation": {"type": "string"},
            "status": {"type": "string", "enum": list(STATUSES)},
            "title": {"type": "string"},
            "summary": {"type": "string"},
            "tags": {"type": "array", "items": {"type": "string"}},
            "regions": {"type": "array", "items": {"type": "string"}},
            "published_at": TIMESTAMP,
            "updated_at": TIMESTAMP,
            "author": NULLABLE_STRING,
            "image": {
                **NULLABLE_STRING,
                "description": "Absolute URL of the item's image.",
            },
            "image_alt": NULLABLE_STRING,
            "url": {"type": "string", "format": "uri"},
            "api_url": {"type": "string", "format": "uri"},
            **kind_properties(),
        },
    }
    return {
        "Error": {
            "type": "object",
            "required": ["error"],
            "properties": {
                "error": {
                    "type": "object",
                    "required": ["status", "title", "message"],
                    "properties": {
                        "status": {"type": "integer", "minimum": 400, "maximum": 599},
                        "title": {"type": "string"},
                        "message": {"type": "string"},
                    },
                }
            },
        },
        "Item": item,
        "ItemDetail": {
            "allOf": [
                _ref("Item"),
                {
                    "type": "object",
                    "required": ["body_html", "versions"],
                    "properties": {
                        "body_html": {
                            "type": "string",
                            "description": "The body, rendered and sanitised.",
                        },
                        "versions": {"type": "array", "items": link},
                    },
                },
            ]
        },
        "ItemList": {
            "type": "object",
            "required": ["items", "next_cursor", "limit"],
            "properties": {
                "items": {"type": "array", "items": _ref("Item")},
                "next_cursor": {
                    "type": ["string", "null"],
                    "description": "The `cursor` of the next page; null at the end.",
                },
                "limit": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
            },
        },
        "TagList": {
            "type": "object",
            "required": ["tags"],
            "properties": {
                "tags": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["name", "items"],
                        "properties": {
                            "name": {"type": "string"},
                            "items": {"type": "integer", "minimum": 1},
                        },
                    },
                }
            },
        },
        "RegionList": {
            "type": "object",
            "required": ["regions"],
            "properties": {
                "regions": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["slug", "name", "items"],
                        "properties": {
                            "slug": {"type": "string"},
                            "name": {"type": "string"},
                            "items": {"type": "integer", "minimum": 0},
                        },
                    },
                }
            },
        },
        "NewsletterList": {
            "type": "object",
            "required": ["newsletters"],
            "properties": {
                "newsletters": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": [
                            "slug",
                            "language",
                            "translation",
                            "number",
                            "title",
                            "published_at",
                            "url",
                            "items",
                        ],  # fmt: skip
                        "properties": {
                            "slug": {"type": "string"},
                            "language": {"type": "string"},
                            "translation": {"type": "string"},
                            "number": NULLABLE_INT,
                            "title": {"type": "string"},
                            "published_at": TIMESTAMP,
                            "url": {"type": "string", "format": "uri"},
                            "items": {
                                "type": "array",
                                "items": {
                                    "type": "object",
                                    "required": ["kind", "slug"],
                                    "properties": {
                                        "kind": {"type": "string"},
                                        "slug": {"type": "string"},
                                    },
                                },
                            },
                        },
                    },
                }
            },
        },
        "OpenAPI": {"type": "object", "required": ["openapi", "paths"]},
    }


def document(site: Site, site_url: str) -> dict[str, Any]:
    """The OpenAPI 3.1 document; ``lang`` lists the languages ``site`` offers."""
    lang = _query(
        "lang",
        "Language version wanted (else the site's default language).",
        {"type": "string", "enum": list(site.languages)},
    )
    kinds = [*KINDS, *KIND_PLURALS.values()]
    return {
        "openapi": "3.1.0",
        "info": {
            "title": f"{site.name} API",
            "version": "1.0.0",
            "description": (
                "Read-only JSON API of the project's public catalogue: press "
                "releases, reports, videos, events and newsletter issues. Answers "
                "carry an ETag (send If-None-Match for a 304) and allow any origin. "
                "Each client address may make a limited number of requests a "
                "minute (429 with Retry-After past it)."
            ),
        },
        "servers": [{"url": f"{site_url}/api/v1"}],
        "paths": {
            "/items": {
                "get": {
                    "operationId": "listItems",
                    "summary": "Public items, newest first",
                    "description": (
                        "One language version per translation group: the `lang` "
                        "version where it exists, else the default language's. Page "
                        "with `cursor` (the `next_cursor` of the previous page)."
                    ),
                    "parameters": [
                        _query(
                            "kind",
                            "Only this kind (singular or plural).",
                            {"type": "string", "enum": kinds},
                        ),
                        _query(
                            "tag", "Only items with this topic tag.", {"type": "string"}
                        ),
                        _query(
                            "region",
                            "Only items about this region.",
                            {"type": "string"},
                        ),
                        lang,
                        _query(
                            "limit",
                            "Items per page.",
                            {
                                "type": "integer",
                                "minimum": 1,
                                "maximum": MAX_LIMIT,
                                "default": DEFAULT_LIMIT,
                            },
                        ),
                        _query(
                            "cursor",
                            "Opaque position from `next_cursor`.",
                            {"type": "string"},
                        ),
                    ],
                    "responses": _responses("ItemList", "A page of items.", 400),
                }
            },
            "/items/{kind}/{slug}": {
                "get": {
                    "operationId": "getItem",
                    "summary": "One public item with its body and language versions",
                    "parameters": [
                        {
                            "name": "kind",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string", "enum": kinds},
                        },
                        {
                            "name": "slug",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string", "pattern": "^[a-z0-9-]+$"},
                        },
                        lang,
                    ],
                    "responses": _responses("ItemDetail", "The item.", 400, 404),
                }
            },
            "/tags": {
                "get": {
                    "operationId": "listTags",
                    "summary": "Topic tags of public items, with counts",
                    "responses": _responses("TagList", "The tags."),
                }
            },
            "/regions": {
                "get": {
                    "operationId": "listRegions",
                    "summary": "Partner regions, with public item counts",
                    "responses": _responses("RegionList", "The regions."),
                }
            },
            "/newsletters": {
                "get": {
                    "operationId": "listNewsletters",
                    "summary": "Published newsletter issues, newest first",
                    "parameters": [lang],
                    "responses": _responses("NewsletterList", "The issues.", 400),
                }
            },
            "/openapi.json": {
                "get": {
                    "operationId": "getOpenAPI",
                    "summary": "This document",
                    "responses": _responses("OpenAPI", "The OpenAPI document."),
                }
            },
        },
        "components": {"schemas": _schemas(site)},
    }
