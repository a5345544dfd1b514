"""The admin's views, split by area; each module adds routes to one blueprint."""
