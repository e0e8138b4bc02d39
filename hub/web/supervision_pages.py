"""The supervisor's numbers per unit and month, with charts drawn on the server and CSV export."""

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
