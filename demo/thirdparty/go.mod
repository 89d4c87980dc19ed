module example.com/thirdparty-exporter

go 1.19
