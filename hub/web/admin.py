"""The administrator's pages: units and channels, users and tokens, the calendar, deliveries, alerts."""

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
