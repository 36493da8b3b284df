// Small helpers the lab builds beside Kubernetes.
module subctl.lab/tools

go 1.26.0

require golang.org/x/sys v0.50.0
