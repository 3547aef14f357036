from sls_neutral.providers.local.routes import Route, Router


def router(*specs):
    return Router([Route.build(m, p, "function", t, cors) for m, p, t, cors in specs])


def test_literal_beats_param_beats_greedy_regardless_of_order():
    r = router(("GET", "/{proxy+}", "greedy", False), ("GET", "/photos/{id}", "param", False),
               ("GET", "/photos/latest", "literal", False))
    assert r.match("GET", "/photos/latest").route.target == "literal"
    m = r.match("GET", "/photos/42")
    assert (m.route.target, m.params) == ("param", {"id": "42"})
    m = r.match("GET", "/a/b/c")
    assert (m.route.target, m.params) == ("greedy", {"proxy": "a/b/c"})


def test_greedy_needs_at_least_one_segment_and_params_are_unquoted():
    r = router(("GET", "/files/{path+}", "files", False))
    assert r.match("GET", "/files").route is None
    assert r.match("GET", "/files/a%20b/c.txt").params == {"path": "a b/c.txt"}


def test_wrong_method_gives_the_allowed_methods():
    r = router(("POST", "/photos", "up", False), ("GET", "/photos/{id}", "get", False))
    m = r.match("DELETE", "/photos")
    assert m.route is None and m.allowed == ("POST",)
    assert r.match("GET", "/nothing").allowed == ()


def test_any_and_head():
    r = router(("ANY", "/x", "any", False), ("GET", "/y", "y", False))
    assert r.match("PATCH", "/x").route.target == "any"
    assert r.match("HEAD", "/y").route.target == "y"


def test_less_specific_path_still_takes_a_method_the_specific_one_lacks():
    r = router(("GET", "/a/{x}", "specific", False), ("ANY", "/{proxy+}", "fallback", False))
    assert r.match("POST", "/a/1").route.target == "fallback"


def test_cors_flag_is_reported_for_preflight():
    r = router(("GET", "/photos/{id}", "get", True))
    m = r.match("OPTIONS", "/photos/1")
    assert m.route is None and m.cors and m.allowed == ("GET",)


def test_router_from_app_covers_every_http_trigger(photo_app):
    r = Router.from_app(photo_app)
    assert {(x.method, x.path) for x in r.routes} == {("POST", "/photos"), ("GET", "/photos/{id}")}
