"""A member unit's own system, simulated: `hub simulate-unit CODE`.

It takes tasks the hub pushes (POST /tasks), answers them from a generated register of invented data
(register.py) with receipts that meet the standard (answers.py), and posts each receipt back to the hub
through the unit API, or returns it at once with --sync (app.py). With --poll it is a registry's or a
bank's front-end system instead, polling the hub's 查控 service and feeding results back as those
clients do (poller.py, poll_real_estate.py, poll_bank.py). For trying and testing the hub end to end
over real HTTP; never for production.
"""
