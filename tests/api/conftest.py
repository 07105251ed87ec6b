from tests.test_route_matrix import scene  # noqa: F401  (the route matrix's scene, a fixture registered here)
