-- Days are evaluated from employee_punches when they are read (attendance.py): a stored day was
-- judged as finished at the moment of its last punch (today's missing leave showed as PSW4) and
-- kept an old calendar after a holiday was added.
DROP TABLE IF EXISTS daily_attendance;
