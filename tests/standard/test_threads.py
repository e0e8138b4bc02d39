"""The validator under threads, as the server runs it: every invalid document is found invalid."""

from concurrent.futures import ThreadPoolExecutor

from conftest import edit, example

from hub.standard.xml import parse, validate_schema

GOOD = example("receipt-controlled.xml")
BAD = edit("receipt-controlled.xml", ("<Outcome>CONTROLLED</Outcome>", "<Outcome>MAYBE</Outcome>"))


def test_a_valid_document_in_another_thread_never_hides_the_problems_of_an_invalid_one():
    def judge(i: int) -> bool:
        document = BAD if i % 2 else GOOD
        return bool(validate_schema(parse(document))) == bool(i % 2)

    with ThreadPoolExecutor(max_workers=4) as pool:
        verdicts = list(pool.map(judge, range(4000)))
    assert all(verdicts), f"{verdicts.count(False)} of 4000 judged wrongly"
