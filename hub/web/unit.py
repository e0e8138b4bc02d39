"""Unit staff's pages: the inbox, a task with its notice and documents, the receipt form, an objection."""

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
