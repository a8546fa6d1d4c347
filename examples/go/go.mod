module github.com/agentdb/agentdb/examples/go

go 1.26

require github.com/agentdb/agentdb/go v0.0.0

// The module in this repository; a project of its own would require a published version.
replace github.com/agentdb/agentdb/go => ../../go
