module github.com/uiza/uiza-c/bindings/go

go 1.19
