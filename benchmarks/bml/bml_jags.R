# bml's own JAGS models for its coalition-survival vignette, run with rjags.
#
# bml (Rosche 2026; CRAN 0.9.0) imports R2jags and ggmcmc, which Debian lacks. This script
# therefore sources bml's R code (github.com/benrosche/bml, commit ca523de, "website updates"),
# calls bml(..., run = FALSE) to get the JAGS model string and data bml generates, and samples
# that model with rjags the way R2jags::jags would (modules glm and dic loaded, bml's initial
# values: shape = 1, censored times just above their censoring time).
#
# Models (vignettes/bml.Rmd, "Getting Started with bml"):
#   mod1  Surv(dur_wkb, event_wkb) ~ 1 + majority +
#           mm(id(pid, gid), vars(finance), fn(w ~ 1/n, c = TRUE), RE = TRUE),
#         family = "Weibull"
#   mod2  the same with fn(w ~ 1 / (1 + (n - 1) * exp(-(b0 + b1 * pseat))), c = TRUE) and
#         priors = c("b.w ~ dnorm(0,1)")
#         That prior, as the vignette writes it, is silently ignored by bml 0.9.0: the
#         generated parameters are b.w.1[1], b.w.1[2] and createModelstring's pattern for
#         "b.w" only matches "b.w" or "b.w[..]", so both keep dnorm(0, 0.0001) (SD 100; in a
#         300-iteration check b0 wandered to 90). We pass "b.w.1 ~ dnorm(0,1)", which bml does
#         apply to both, i.e. the model the vignette describes.
# mod2 is run on the memberships with pseat > 0 (2,070 of 2,077 rows: 7 seatless parties
# dropped, no government loses all its parties), because coalsurv's logistic weights refuse
# a share of 0; run_coalsurv.py drops the same rows.
#
# Setup (Debian 12):
#   apt-get install -y r-base-core jags r-cran-rjags r-cran-dplyr r-cran-tidyr r-cran-stringr \
#     r-cran-purrr r-cran-tibble r-cran-rlang r-cran-magrittr
#   git clone https://github.com/benrosche/bml /tmp/bml && git -C /tmp/bml checkout ca523de
# Run (from the repository root; mod1 about 9 minutes, mod2 about 25 minutes, on one shared core):
#   Rscript benchmarks/bml/bml_jags.R /tmp/bml ../shared/data/coalgov/coalgov.csv benchmarks/bml
# Writes benchmarks/bml/jags_mod1.csv, jags_mod2.csv (posterior summaries) and
# jags_mod1.jags, jags_mod2.jags (the model strings bml generated).

suppressPackageStartupMessages({
  library(rjags)
  library(dplyr)
  library(magrittr)
})

args <- commandArgs(trailingOnly = TRUE)
if (length(args) < 3) stop("usage: Rscript bml_jags.R BML_SOURCE_DIR COALGOV_CSV OUT_DIR [N_ITER N_BURNIN]")
bml_dir <- args[1]
csv <- args[2]
out <- args[3]
n_iter <- if (length(args) >= 4) as.integer(args[4]) else 12000L
n_burnin <- if (length(args) >= 5) as.integer(args[5]) else 2000L
n_chains <- 3L

for (f in c("helpers.R", "dissectFormula.R", "createData.R", "createJagsVars.R",
            "createModelstring.R", "bml.R")) {
  source(file.path(bml_dir, "R", f))
}

coalgov <- read.csv(csv)
# read.csv gives integer days; Debian's dplyr 1.0 case_when in createJagsVars needs a double
coalgov$dur_wkb <- as.numeric(coalgov$dur_wkb)

run_model <- function(name, formula, data, priors = NULL, seed = 1L) {
  built <- bml(formula, family = "Weibull", priors = priors, data = data, run = FALSE,
               monitor = FALSE)
  writeLines(built$modelstring, file.path(out, paste0("jags_", name, ".jags")))
  jd <- built$jags.data
  # bml's initial values (createJagsVars): shape 1, censored t just above the censoring time
  t_init <- rep(NA_real_, length(jd$t))
  cens <- jd$censored == 1
  t_init[cens] <- jd$ct.lb[cens] + 1
  inits <- lapply(seq_len(n_chains), function(k) list(
    t = t_init, shape = 1, .RNG.name = "base::Mersenne-Twister", .RNG.seed = seed + k))
  load.module("glm")  # R2jags::jags loads c("glm", "dic") by default
  load.module("dic")
  start <- proc.time()[["elapsed"]]
  model <- jags.model(textConnection(built$modelstring), data = jd, inits = inits,
                      n.chains = n_chains, quiet = TRUE)
  update(model, n_burnin, progress.bar = "none")
  params <- setdiff(built$jags.params, "sigma")  # sigma = 1/shape: a function of shape
  draws <- coda.samples(model, params, n.iter = n_iter - n_burnin, progress.bar = "none")
  seconds <- proc.time()[["elapsed"]] - start
  m <- as.matrix(draws)
  ess <- coda::effectiveSize(draws)
  rhat <- coda::gelman.diag(draws, multivariate = FALSE, autoburnin = FALSE)$psrf[, 1]
  table <- data.frame(
    parameter = colnames(m),
    mean = colMeans(m),
    sd = apply(m, 2, sd),
    q05 = apply(m, 2, quantile, 0.05),
    q95 = apply(m, 2, quantile, 0.95),
    ess = as.numeric(ess[colnames(m)]),
    rhat = as.numeric(rhat[colnames(m)]),
    row.names = NULL
  )
  table$draws <- nrow(m)
  table$seconds <- round(seconds, 1)
  write.csv(table, file.path(out, paste0("jags_", name, ".csv")), row.names = FALSE)
  cat(sprintf("%s: %d chains x %d draws after %d burn-in, %.0f s\n", name, n_chains,
              n_iter - n_burnin, n_burnin, seconds))
  print(table, digits = 4)
  invisible(table)
}

f1 <- Surv(dur_wkb, event_wkb) ~ 1 + majority +
  mm(id = id(pid, gid), vars = vars(finance), fn = fn(w ~ 1/n, c = TRUE), RE = TRUE)
f2 <- Surv(dur_wkb, event_wkb) ~ 1 + majority +
  mm(id = id(pid, gid), vars = vars(finance),
     fn = fn(w ~ 1 / (1 + (n - 1) * exp(-(b0 + b1 * pseat))), c = TRUE), RE = TRUE)

which <- if (length(args) >= 6) args[6] else "both"
if (which %in% c("both", "mod1")) run_model("mod1", f1, coalgov)
if (which %in% c("both", "mod2")) {
  seated <- coalgov[coalgov$pseat > 0, ]
  stopifnot(length(unique(seated$gid)) == length(unique(coalgov$gid)))
  run_model("mod2", f2, seated, priors = c("b.w.1 ~ dnorm(0,1)"))
}
