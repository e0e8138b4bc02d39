"""The officer's pages: his requests, a new request (form or XML), one request unit by unit, the notice."""

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
