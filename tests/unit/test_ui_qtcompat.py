from client.ui.qtcompat import binding_problem


def test_known_bad_binding_is_refused_with_a_chinese_message():
    msg = binding_problem("6.12.0", (3, 11))
    assert msg and "PySide6 6.12.0" in msg and "6.9–6.11" in msg


def test_good_bindings_pass():
    assert binding_problem("6.11.3", (3, 11)) is None
    assert binding_problem("6.12.0", (3, 12)) is None
    assert binding_problem() is None   # the installed one (pyproject pins <6.12)
