"""`make chaos`: citizens chat through two gateway replicas while the parts are killed in turn.

- `processes.py`: a PostgreSQL and a Redis of the run's own (never the machine's), Rasa, the action
  server and two gateway replicas, each a process group the run can SIGKILL and start again.
- `citizens.py`: widget citizens on the websocket (reconnecting and resending like the real widget)
  and Telegram citizens through the fake Bot API, whose updates are posted like Telegram does.
- `figures.py`: what was sent, stored, answered, told "delayed", lost and doubled, from the
  database, Rasa's tracker and what the clients received.
- `__main__.py`: the schedule of faults and the printout.
"""
