module github.com/agentdb/agentdb/go

go 1.26
