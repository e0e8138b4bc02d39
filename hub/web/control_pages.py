"""The officer's controls (days left, renew, release) and everything found about one debtor."""

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
