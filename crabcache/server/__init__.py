"""Server side: I/O-free state (state.py, session.py) and the trio application (app.py, connection.py)."""
