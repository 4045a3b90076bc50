-- A task's status changes with nearly every event it takes, and each commit rewrites its row.
-- With status inside two indexes, every such write also moved an entry in each of them (a delete
-- and an insert per index). The board reads a project's every task anyway, so it sorts them
-- after reading (by the (project_id, n) unique index); the assignee index keeps only what
-- changes on (re)assignment, and unassigned tasks, which no assignee query asks for, stay out.
DROP INDEX tasks_board;
DROP INDEX tasks_assignee;
CREATE INDEX tasks_assignee ON tasks(project_id, assignee_id, n) WHERE assignee_id IS NOT NULL;
