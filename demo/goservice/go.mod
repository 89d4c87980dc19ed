module example.com/gosvc-demo

go 1.19
