"""A member unit's own system, simulated: `hub simulate-unit CODE`.

It takes tasks the hub pushes (POST /tasks), answers them from a generated register of invented data
(register.py) with receipts that meet the standard (answers.py), and posts each receipt back to the hub
through the unit API, or returns it at once with --sync (app.py). For trying and testing the hub end to
end over real HTTP; never for production.
"""
