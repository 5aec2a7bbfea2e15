"""Reading a posted form: a body the parser cannot read is the sender's error (400), never a 500."""
from __future__ import annotations

from python_multipart.exceptions import FormParserError
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request


async def read_form(request: Request) -> FormData:
    # Starlette turns some malformed multipart bodies into a 400 itself, but lets python-multipart's
    # own parse errors (a body that does not start with the boundary, say) through as a 500.
    try:
        return await request.form()
    except (MultiPartException, FormParserError) as error:
        raise HTTPException(status_code=400, detail="Formularen kunne ikke læses.") from error
